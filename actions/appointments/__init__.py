"""Technician visits: booking (a form), and the customer's own appointments."""
