"""Build the meeting graph. Compile it fresh, with whatever checkpointer the caller has."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.graph import nodes
from agent.graph.state import AgentContext, MeetingState

ADVICE = ("advise_start", "advise_frame", "advise_values", "advise_connection", "advise_synthesis")


def build_graph(
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph[MeetingState, AgentContext, MeetingState, MeetingState]:
    """The per-meeting graph: event -> analysis -> advice for the current step."""
    g = StateGraph(MeetingState, context_schema=AgentContext)
    g.add_node("analyse_utterances", nodes.analyse_utterances)
    g.add_node("analyse_positions", nodes.analyse_positions)
    g.add_node("change_step", nodes.change_step)
    g.add_node("answer_consult", nodes.answer_consult)
    g.add_node("advise_start", nodes.advise_start)
    g.add_node("advise_frame", nodes.advise_frame)
    g.add_node("advise_values", nodes.advise_values)
    g.add_node("advise_connection", nodes.advise_connection)
    g.add_node("advise_synthesis", nodes.advise_synthesis)

    g.add_conditional_edges(START, nodes.route_event)
    for analysis in ("analyse_utterances", "analyse_positions", "change_step"):
        g.add_conditional_edges(analysis, nodes.route_step)
    for advice in ADVICE:
        g.add_edge(advice, END)
    g.add_edge("answer_consult", END)
    return g.compile(checkpointer=checkpointer)
