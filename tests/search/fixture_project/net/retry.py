"""Retrying flaky network calls."""
import random
import time


def retry_with_backoff(call, attempts=5, base_delay=0.1):
    """Call `call` until it succeeds, sleeping exponentially longer (with jitter) after each failure."""
    for attempt in range(attempts):
        try:
            return call()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(base_delay * 2 ** attempt * random.uniform(0.5, 1.5))


def parse_host_port(address, default_port=80):
    """Split "host:port" into a (host, port) pair, using `default_port` when there is none."""
    host, _, port = address.rpartition(":")
    if not host:
        return address, default_port
    return host, int(port)


DEFAULT_TIMEOUT = 30.0
USER_AGENT = "fixture-client/1.0"
