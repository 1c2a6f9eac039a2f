"""The LangGraph agent: state, nodes, routing, builder."""
