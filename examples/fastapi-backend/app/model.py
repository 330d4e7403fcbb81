"""Optional real-model mode: answer with an OpenAI model through the OpenAI Agents SDK.

Off by default; the tests never use it. Turn it on with CHATKIT_RESPONDER=openai and
OPENAI_API_KEY (the key stays in the backend's environment, never in the site). CHATKIT_MODEL
picks the model. The SDK's `stream_agent_response` turns the agent run into the same ChatKit
events the offline responder produces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from agents import Agent, Model, Runner, set_tracing_disabled
from chatkit.agents import AgentContext, simple_to_agent_input, stream_agent_response
from chatkit.store import Store
from chatkit.types import ThreadItem, ThreadMetadata, ThreadStreamEvent

from .context import PageContext, RequestContext


def instructions(page: PageContext | None) -> str:
    text = (
        "You are the assistant of a course textbook. Answer the reader's questions about the "
        "course clearly and briefly, in Markdown. If you do not know, say so."
    )
    if page and (page.title or page.path):
        text += f'\nThe reader is on the page "{page.title}" ({page.path}).'
    if page and page.lang:
        text += f"\nAnswer in the page's language ({page.lang}) unless asked otherwise."
    return text


class ModelResponder:
    def __init__(self, model: str | Model):
        # Student questions stay between this backend and the model: no trace uploads.
        set_tracing_disabled(True)
        self.model = model

    async def respond(
        self,
        store: Store[RequestContext],
        thread: ThreadMetadata,
        history: list[ThreadItem],
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        # `history`: the thread's newest items, oldest first, within CHATKIT_HISTORY_BUDGET_CHARS.
        agent_input = await simple_to_agent_input(history)
        agent = Agent(name="Textbook assistant", instructions=instructions(context.page), model=self.model)
        agent_context = AgentContext(thread=thread, store=store, request_context=context)
        result = Runner.run_streamed(agent, agent_input, context=agent_context)
        async for event in stream_agent_response(agent_context, result):
            yield event
