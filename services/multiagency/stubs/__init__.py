"""Stand-ins for the agencies a force consults: children's social care and probation."""
