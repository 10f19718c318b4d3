"""A webhook receiver for the benchmarks: answers every POST 204 at once, and GET /count
with how many POSTs it has had. One asyncio process: thousands of requests a second, so that
it is never what a benchmark of the sender measures.

    python bench/receiver.py PORT
"""

from __future__ import annotations

import asyncio
import sys

received = 0


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global received
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        if head.startswith(b"GET /count"):
            body = str(received).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        else:
            received += 1
            writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(answer, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
