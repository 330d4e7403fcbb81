"""The optional real-model mode, run with a scripted stand-in for the model (no network, no key)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from agents import Model, ModelResponse
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

from app.config import Settings
from app.context import PageContext
from app.model import ModelResponder, instructions

from .conftest import Reader, add_body, assistant_done, create_body, deltas, page_header


class ScriptedModel(Model):
    """Streams a fixed answer as the Responses API would, and records what it was given."""

    def __init__(self, words: list[str]):
        self.words = words
        self.calls: list[tuple[str | None, list]] = []

    async def get_response(self, *args, **kwargs) -> ModelResponse:  # pragma: no cover
        raise NotImplementedError

    async def stream_response(self, system_instructions, input, *args, **kwargs) -> AsyncIterator:
        self.calls.append((system_instructions, list(input)))
        text = "".join(self.words)
        n = len(self.calls)
        msg_id = f"msg_model{n}"

        def message(content: list) -> ResponseOutputMessage:
            return ResponseOutputMessage(
                id=msg_id, type="message", role="assistant", status="completed", content=content
            )

        part = ResponseOutputText(type="output_text", text="", annotations=[])
        seq = iter(range(1000))
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added", item=message([]), output_index=0, sequence_number=next(seq)
        )
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=msg_id,
            output_index=0,
            content_index=0,
            part=part,
            sequence_number=next(seq),
        )
        for w in self.words:
            yield ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=msg_id,
                output_index=0,
                content_index=0,
                delta=w,
                logprobs=[],
                sequence_number=next(seq),
            )
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=msg_id,
            output_index=0,
            content_index=0,
            text=text,
            logprobs=[],
            sequence_number=next(seq),
        )
        done = message([ResponseOutputText(type="output_text", text=text, annotations=[])])
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done", item=done, output_index=0, sequence_number=next(seq)
        )
        response = Response(
            id=f"resp_{n}",
            object="response",
            created_at=0,
            model="scripted",
            output=[done],
            parallel_tool_calls=False,
            tool_choice="auto",
            tools=[],
            status="completed",
        )
        yield ResponseCompletedEvent(type="response.completed", response=response, sequence_number=next(seq))


@pytest.fixture
def model_client(make_app):
    client = make_app()
    model = ScriptedModel(["Recursion ", "is ", "a ", "function ", "calling ", "itself."])
    client.app.state.server.model = ModelResponder(model)
    return client, model


def test_model_mode_streams_the_models_answer(model_client):
    client, model = model_client
    reader = Reader(client)
    events = reader.stream(create_body("What is recursion?"), page_header("/docs/rec", "Recursion"))
    types = [e["type"] for e in events]
    assert types[:4] == ["thread.created", "thread.item.done", "stream_options", "thread.item.added"]
    assert deltas(events) == model.words
    assert assistant_done(events)["content"][0]["text"] == "Recursion is a function calling itself."
    system, given = model.calls[0]
    assert '"Recursion" (/docs/rec)' in system
    assert "What is recursion?" in str(given)

    # The follow-up gives the model the whole conversation, the first answer included.
    reader.stream(add_body(events[0]["thread"]["id"], "An example?"))
    _, given = model.calls[1]
    assert "What is recursion?" in str(given) and "function calling itself" in str(given)
    assert "An example?" in str(given)


def test_instructions_name_the_page():
    assert "page" not in instructions(None)
    text = instructions(PageContext(path="/fr/docs", title="Boucles", lang="fr"))
    assert '"Boucles" (/fr/docs)' in text and "(fr)" in text


def test_model_mode_needs_a_key(monkeypatch):
    monkeypatch.setenv("CHATKIT_RESPONDER", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(SystemExit, match="OPENAI_API_KEY"):
        Settings.from_env()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("CHATKIT_MODEL", "gpt-test")
    settings = Settings.from_env()
    assert (settings.responder, settings.model) == ("openai", "gpt-test")
    monkeypatch.setenv("CHATKIT_RESPONDER", "magic")
    with pytest.raises(SystemExit):
        Settings.from_env()
