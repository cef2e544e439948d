"""Training of the documents capability's learned parts (the key-element model); never imported by serving."""
