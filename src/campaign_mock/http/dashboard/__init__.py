"""The dashboard: pages for people at / and /_mock/ui/."""
