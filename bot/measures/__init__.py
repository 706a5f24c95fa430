"""Questionnaires defined as data (``content/measures/<id>.yaml``), validated and loaded."""
