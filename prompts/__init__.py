"""Everything the agent says or sends to a model, as files."""
