"""Storage: typed models, the engine and sessions, and the migrations that build them."""
