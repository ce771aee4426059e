"""Pub/Sub: the emulator, resources, publishing alerts."""
