from net.retry import parse_host_port, retry_with_backoff
from storage.blobs import BlobStore
from textutil.checksums import file_checksum, slugify


def main(address, filename):
    host, port = parse_host_port(address)
    store = BlobStore("/tmp/blobs")
    key = retry_with_backoff(lambda: store.put(filename))
    print(host, port, key, file_checksum(filename), slugify(filename))
