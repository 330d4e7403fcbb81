"""The ChatKit server: the SDK's `ChatKitServer` with an offline, streaming `respond`.

`ChatKitServer.process()` parses the request, stores the user's message and calls `respond`,
which yields thread events. The SDK persists finished items (`thread.item.done`) through the
store and turns each event into one SSE frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from chatkit.actions import Action
from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.store import AttachmentStore, Store
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    AttachmentCreateParams,
    AudioInput,
    ChatKitReq,
    FeedbackKind,
    ItemsFeedbackReq,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsRetryAfterItemReq,
    ThreadStreamEvent,
    ThreadsUpdateReq,
    TranscriptionResult,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
    is_streaming_req,
)
from limits import RateLimitItem
from pydantic import TypeAdapter

from .context import RequestContext
from .faults import Faults
from .model import ModelResponder
from .ratelimit import RateLimiter
from .responder import compose_grounded_reply, compose_reply, quote, words
from .retrieval import Index, on_site
from .store import load_history, new_id

_REQUEST = TypeAdapter(ChatKitReq)


class UnsupportedRequest(Exception):
    """A ChatKit request this backend does not serve (uploads, dictation, synchronous actions).

    The SDK's defaults raise RuntimeError or NotImplementedError for these, which would be a 500;
    main.py answers this one with 400 `unsupported_request` instead.
    """


# Bounds on the non-streaming requests that write what the reader sends.
MAX_TITLE = 500
MAX_FEEDBACK_ITEMS = 100


def too_long(field_name: str, message: str) -> Refused:
    return Refused(
        400,
        "invalid_request",
        message,
        fields=[{"field": field_name, "message": message, "type": "too_long"}],
    )


class Refused(Exception):
    """A request this backend will not serve now: main.py answers `{"error": code, ...}`."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.retry_after, self.extra = retry_after, extra


@dataclass
class Limits:
    """What one reader (and one client address) may send; see config.py for the defaults."""

    limiter: RateLimiter | None = None
    messages_per_reader: list[RateLimitItem] = field(default_factory=list)
    messages_per_ip: list[RateLimitItem] = field(default_factory=list)
    max_message_chars: int = 8000
    # Items a thread may hold; a message to a full thread is refused (409 thread_full).
    max_items_per_thread: int = 200
    # What the responder (or the model) reads of a thread on each turn: the newest items whose
    # JSON adds up to at most this many characters.
    history_budget: int = 32_000


class NoAttachments(AttachmentStore):
    def generate_attachment_id(self, mime_type: str, context: RequestContext) -> str:
        return new_id("attachment")

    """The attachment store of a backend that accepts no uploads: every call is refused."""

    async def create_attachment(self, input: AttachmentCreateParams, context: RequestContext):
        raise UnsupportedRequest("This backend does not accept attachments.")

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        raise UnsupportedRequest("This backend does not accept attachments.")


def message_text(item: UserMessageItem) -> str:
    """The text a reader typed (tags such as @-mentions count as their label)."""
    parts = []
    for part in item.content:
        if isinstance(part, (UserMessageTextContent, UserMessageTagContent)):
            parts.append(part.text)
    return "".join(parts)


class TextbookServer(ChatKitServer[RequestContext]):
    def __init__(
        self,
        store: Store[RequestContext],
        word_delay_ms: int,
        faults: Faults | None = None,
        model: ModelResponder | None = None,
        limits: Limits | None = None,
        index: Index | None = None,
        passages: int = 3,
    ):
        super().__init__(store, NoAttachments())
        # The book (retrieval.py): with it, replies answer from the corpus and cite their sources.
        self.index = index
        self.passages = passages
        self.word_delay = word_delay_ms / 1000
        self.faults = faults
        self.model = model
        self.limits = limits or Limits()

    async def process(
        self, request: str | bytes | bytearray, context: RequestContext
    ) -> StreamingResult | NonStreamingResult:
        # Checked before the SDK starts: a refused request stores nothing and streams nothing.
        parsed = _REQUEST.validate_json(request)  # ValidationError -> 400
        if is_streaming_req(parsed):
            await self.admit(parsed, context)
        elif isinstance(parsed, ThreadsUpdateReq) and len(parsed.params.title) > MAX_TITLE:
            raise too_long("params.title", f"A title is at most {MAX_TITLE} characters.")
        elif isinstance(parsed, ItemsFeedbackReq) and len(parsed.params.item_ids) > MAX_FEEDBACK_ITEMS:
            raise too_long("params.item_ids", f"Feedback names at most {MAX_FEEDBACK_ITEMS} items.")
        return await super().process(request, context)

    async def admit(self, request, context: RequestContext) -> None:
        """Refuse a streaming request (each one is a model call) that breaks a limit."""
        limits = self.limits
        if isinstance(request, (ThreadsCreateReq, ThreadsAddUserMessageReq)):
            given = request.params.input
            # What the reader typed; tags' data and the other fields count against a looser bound
            # on the whole input, so nothing in it can be large.
            length = sum(len(p.text) for p in given.content) + len(given.quoted_text or "")
            if length <= limits.max_message_chars and (
                len(given.model_dump_json()) > 2 * limits.max_message_chars + 10_000
            ):
                length = len(given.model_dump_json())
            if length > limits.max_message_chars:
                raise Refused(
                    413,
                    "message_too_long",
                    f"The message is {length} characters long; the limit is {limits.max_message_chars}.",
                    limit=limits.max_message_chars,
                )
            # The SDK would create the thread first and fail after its first event (a broken
            # stream and an empty thread); an unknown attachment is a clean 404 instead.
            for attachment_id in given.attachments:
                await self.store.load_attachment(attachment_id, context)
        thread_id = getattr(request.params, "thread_id", None)
        # A retry replaces the items after the one it names: it does not grow the thread.
        if thread_id is not None and not isinstance(request, ThreadsRetryAfterItemReq):
            await self.store.load_thread(thread_id, context)  # 404 before counting anything
            count_items = getattr(self.store, "count_items", None)
            if count_items and await count_items(thread_id, context) >= limits.max_items_per_thread:
                raise Refused(
                    409,
                    "thread_full",
                    f"This conversation has reached {limits.max_items_per_thread} items; start a new one.",
                    limit=limits.max_items_per_thread,
                )
        if limits.limiter is None:
            return
        refusal = await limits.limiter.hit_all(
            [
                ("messages-reader", context.reader, limits.messages_per_reader),
                ("messages-ip", context.client, limits.messages_per_ip),
            ]
        )
        if refusal:
            raise Refused(
                429,
                "rate_limited",
                f"Too many messages ({refusal.limit}); try again in {refusal.retry_after} s.",
                retry_after=refusal.retry_after,
            )

    async def add_feedback(
        self, thread_id: str, item_ids: list[str], feedback: FeedbackKind, context: RequestContext
    ) -> None:
        # Feedback is not stored, but only on the reader's own items is it accepted (else 404).
        await self.store.load_thread(thread_id, context)
        for item_id in item_ids:
            await self.store.load_item(thread_id, item_id, context)

    async def transcribe(self, audio_input: AudioInput, context: RequestContext) -> TranscriptionResult:
        raise UnsupportedRequest("This backend does not transcribe audio.")

    async def sync_action(
        self,
        thread: ThreadMetadata,
        action: Action,
        sender: WidgetItem | None,
        context: RequestContext,
    ):
        raise UnsupportedRequest("This backend defines no widget actions.")

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        # The conversation so far, oldest first, as much as fits the history budget (the new
        # message is already stored). The offline reply also names the number of questions and
        # the first one, which a long thread has outside the budget.
        history, whole = await load_history(self.store, thread.id, context, self.limits.history_budget)
        questions = [message_text(i) for i in history if isinstance(i, UserMessageItem)]
        # The message being answered is the newest one (also after a retry, which first removes
        # everything after it).
        if input_user_message is not None:
            question = message_text(input_user_message)
        else:
            question = questions[-1] if questions else ""
        asked, first = len(questions), (questions[0] if questions else question)
        if not whole and self.model is None:
            asked = await self.store.count_user_messages(thread.id, context)
            start = await self.store.load_thread_items(thread.id, None, 5, "asc", context)
            first = next((message_text(i) for i in start.data if isinstance(i, UserMessageItem)), first)

        # Name the thread after its first question. Changing `thread` makes the SDK save it and
        # send `thread.updated` right after the next event (the assistant message's first).
        if not thread.title and question.strip():
            thread.title = quote(question, 60)
        found = None
        if self.index is not None:
            page = context.page
            found = self.index.search(
                question, page.lang if page else "", page.path if page else "", self.passages
            )
            found = on_site(found, context.origin)
        if self.model is not None:  # optional real-model mode (model.py)
            async for event in self.model.respond(self.store, thread, history, context, found):
                yield event
            return

        if found is not None:
            text = compose_grounded_reply(question, found)
        else:
            text = compose_reply(question, asked, first, context.page)

        item = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context),
            thread_id=thread.id,
            created_at=datetime.now(),
            content=[],
        )
        yield ThreadItemAddedEvent(item=item)
        yield ThreadItemUpdatedEvent(
            item_id=item.id,
            update=AssistantMessageContentPartAdded(
                content_index=0, content=AssistantMessageContent(text="")
            ),
        )

        stop_after = self.faults.stop_stream_after_words if self.faults else None
        fail_after = 3 if self.faults and self.faults.take_stream_error() else None
        for n, chunk in enumerate(words(text), start=1):
            yield ThreadItemUpdatedEvent(
                item_id=item.id,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta=chunk),
            )
            if stop_after is not None and n >= stop_after:
                return  # fault switch: end the stream here, without the closing events
            if fail_after is not None and n >= fail_after:
                # Fault switch: any exception here reaches the client as the SDK's error event,
                # {"type": "error", "code": "stream.error", "allow_retry": true}, in the stream.
                raise RuntimeError("injected responder failure (fault switch)")
            await asyncio.sleep(self.word_delay)

        content = AssistantMessageContent(text=text)
        yield ThreadItemUpdatedEvent(
            item_id=item.id,
            update=AssistantMessageContentPartDone(content_index=0, content=content),
        )
        yield ThreadItemDoneEvent(item=item.model_copy(update={"content": [content]}))
