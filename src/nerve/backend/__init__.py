"""Backends: dtypes and the devices whose array modules compute nerve's ops."""
