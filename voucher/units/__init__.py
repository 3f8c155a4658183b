"""Training units (承训单位), their projects, review, acceptance and monitoring."""
