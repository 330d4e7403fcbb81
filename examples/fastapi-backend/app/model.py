"""Optional real-model mode: answer with an OpenAI model through the OpenAI Agents SDK.

Off by default; the tests never use it. Turn it on with CHATKIT_RESPONDER=openai and
OPENAI_API_KEY (the key stays in the backend's environment, never in the site). CHATKIT_MODEL
picks the model. The SDK's `stream_agent_response` turns the agent run into the same ChatKit
events the offline responder produces.

With a corpus (CHATKIT_CORPUS), the passages found for the question go into the instructions with
the rule to answer from them and cite them, and the reply ends with their links (`sources_block`),
appended to the model's text whatever the model wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from agents import Agent, Model, Runner, set_tracing_disabled
from chatkit.agents import AgentContext, simple_to_agent_input, stream_agent_response
from chatkit.store import Store
from chatkit.types import (
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItem,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
)

from .context import PageContext, RequestContext
from .retrieval import Passage, sources_block

# Characters of each passage given to the model.
PASSAGE_CHARS = 2000


def instructions(page: PageContext | None, passages: list[Passage] | None = None) -> str:
    text = (
        "You are the assistant of a course textbook. Answer the reader's questions about the "
        "course clearly and briefly, in Markdown. If you do not know, say so."
    )
    if page and (page.title or page.path):
        text += f'\nThe reader is on the page "{page.title}" ({page.path}).'
    if page and page.lang:
        text += f"\nAnswer in the page's language ({page.lang}) unless asked otherwise."
    if passages is not None:
        text += (
            "\n\nAnswer from the passages of the textbook below, and only from them. Cite the passages "
            "you use as Markdown links to their URL, e.g. [Section](URL). If they do not answer the "
            "question, say that the textbook does not cover it."
        )
        for n, p in enumerate(passages, start=1):
            body = p.text[:PASSAGE_CHARS]
            text += f"\n\n<passage {n}>\nURL: {p.url}\nSection: {p.label}\n{body}\n</passage {n}>"
        if not passages:
            text += "\n\n(No passage of the textbook matches this question.)"
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
        passages: list[Passage] | None = None,
    ) -> AsyncIterator[ThreadStreamEvent]:
        # `history`: the thread's newest items, oldest first, within CHATKIT_HISTORY_BUDGET_CHARS.
        agent_input = await simple_to_agent_input(history)
        agent = Agent(
            name="Textbook assistant", instructions=instructions(context.page, passages), model=self.model
        )
        agent_context = AgentContext(thread=thread, store=store, request_context=context)
        result = Runner.run_streamed(agent, agent_input, context=agent_context)
        links = "\n\n" + sources_block(passages) if passages else ""
        async for event in stream_agent_response(agent_context, result):
            if links:
                event, extra = with_links(event, links)
                if extra is not None:
                    yield extra
                if isinstance(event, ThreadItemDoneEvent) and isinstance(event.item, AssistantMessageItem):
                    links = ""  # once, on the first answer
            yield event


def with_links(event: ThreadStreamEvent, links: str) -> tuple[ThreadStreamEvent, ThreadStreamEvent | None]:
    """Append `links` to the text of an assistant message's last part: a text delta streamed
    just before the part's `done` event, and the same text in that event and the item's `done`."""
    if isinstance(event, ThreadItemUpdatedEvent) and isinstance(
        event.update, AssistantMessageContentPartDone
    ):
        update = event.update
        content = update.content.model_copy(update={"text": update.content.text + links})
        delta = ThreadItemUpdatedEvent(
            item_id=event.item_id,
            update=AssistantMessageContentPartTextDelta(content_index=update.content_index, delta=links),
        )
        done = event.model_copy(update={"update": update.model_copy(update={"content": content})})
        return done, delta
    if isinstance(event, ThreadItemDoneEvent) and isinstance(event.item, AssistantMessageItem):
        parts = list(event.item.content)
        if parts and not parts[-1].text.endswith(links):
            parts[-1] = parts[-1].model_copy(update={"text": parts[-1].text + links})
        return event.model_copy(update={"item": event.item.model_copy(update={"content": parts})}), None
    return event, None
