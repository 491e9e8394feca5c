"""Plain ASGI helpers the service's middleware share."""

from starlette.types import Message, Receive


async def buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (bounded by a size limit outside, app.bodylimit) and hand it on again."""
    parts: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(parts)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
