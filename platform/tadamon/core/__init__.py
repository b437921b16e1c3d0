"""Infrastructure shared by every feature module; it imports no feature."""
