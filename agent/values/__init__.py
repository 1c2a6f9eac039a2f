"""Value detection on the 20 Touché23 value categories."""
