"""A small asyncio TCP proxy on 127.0.0.1 that adds a fixed latency to every request.

Bytes from the client are held ``delay`` seconds before they go upstream (chunks that
arrive together are delayed together, so one HTTP request costs one delay however the
client splits its writes); answers come back undelayed. It counts open connections
and keeps the peak, which is how the Redfish bench measures the driver's fan-out.

Only for loopback benches: it listens on 127.0.0.1 and connects to 127.0.0.1.

    python bench/delay_proxy.py --upstream 8000 --delay 0.1   # standalone
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time


class DelayProxy:
    def __init__(self, upstream_port: int, delay: float, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.port = 0
        self.open = 0
        self.peak = 0
        self.accepted = 0
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[asyncio.Task] = set()

    def reset_peak(self) -> None:
        self.peak = self.open

    async def _forward(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float, on_eof=None
    ) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def pump_in() -> None:
            while True:
                data = await reader.read(65536)
                await queue.put((time.monotonic(), data))
                if not data:
                    if on_eof is not None:
                        on_eof()
                    return

        feeder = asyncio.create_task(pump_in())
        try:
            while True:
                arrived, data = await queue.get()
                wait = arrived + delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            feeder.cancel()
            try:
                if writer.can_write_eof():
                    writer.write_eof()
            except (OSError, RuntimeError):
                pass

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        # "open" counts a connection from accept until the CLIENT closes its side: that
        # is the fan-out the client holds (the delayed EOF towards the upstream lingers
        # another ``delay`` and is not the client's doing).
        self.accepted += 1
        self.open += 1
        self.peak = max(self.peak, self.open)
        counted = [True]

        def client_closed() -> None:
            if counted[0]:
                counted[0] = False
                self.open -= 1

        task = asyncio.current_task()
        if task is not None:
            self._conns.add(task)
        upstream_w = None
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.upstream)
            await asyncio.gather(
                self._forward(client_r, upstream_w, self.delay, on_eof=client_closed),
                self._forward(upstream_r, client_w, 0.0),
            )
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass  # a cancel here is stop(): end quietly
        finally:
            client_closed()
            if task is not None:
                self._conns.discard(task)
            for w in (client_w, upstream_w):
                if w is not None:
                    w.close()

    async def start_async(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop_async(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            await asyncio.gather(*self._conns, return_exceptions=True)
            await self._server.wait_closed()

    # -- in a background thread, for a synchronous caller --------------------
    def start_in_thread(self) -> DelayProxy:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.start_async())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="delay-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("delay proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self.stop_async(), self._loop)
        try:
            fut.result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()
            self._loop = self._thread = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", type=int, required=True, help="upstream port on 127.0.0.1")
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--seconds", type=float, default=600, help="stop after this long")
    args = parser.parse_args()

    async def run() -> None:
        proxy = DelayProxy(args.upstream, args.delay)
        await proxy.start_async()
        print(
            f"127.0.0.1:{proxy.port} -> 127.0.0.1:{args.upstream} (+{args.delay * 1000:.0f} ms)", flush=True
        )
        try:
            await asyncio.sleep(args.seconds)
        finally:
            await proxy.stop_async()
            print(f"accepted {proxy.accepted}, peak open {proxy.peak}")

    asyncio.run(run())


if __name__ == "__main__":
    main()
