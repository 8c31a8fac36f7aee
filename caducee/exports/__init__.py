"""Long exports: built by a background task into storage, downloaded from « Mes exports »."""
