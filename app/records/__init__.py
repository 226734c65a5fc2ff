"""The six record types: their input models, tables and the generic engine over them."""
