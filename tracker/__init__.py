"""The disclosure work-plan tracker (政务公开工作要点跟踪)."""
