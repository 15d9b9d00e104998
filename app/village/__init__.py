"""村（居）委会: starting the death certificate for a normal death outside a medical institution."""
