// A stand-in for the model's private header (tests/boundary: the boundary check's fixture).
