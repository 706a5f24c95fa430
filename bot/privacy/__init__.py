"""The client's data rights: a copy of everything stored about them, and erasure."""
