# Makes Triton's own Python client (tritonclient.grpc, from the wheel in ../shared/triton)
# importable on Debian's python3: the wheel's pure-Python package is extracted to a temporary
# folder, and Debian's grpcio 1.51 is taught the two things tritonclient 2.51's generated stubs
# ask of grpcio >= 1.67: the version gate's helper, and the _registered_method keyword (a call-tracking hint
# that older grpcio does not know and does not need). Nothing of the client itself is changed.
import functools, os, sys, tempfile, zipfile

import grpc
import grpc._channel
import grpc._utilities
import grpc.aio._channel as grpc_aio_channel


def load(wheel):
    folder = tempfile.mkdtemp(prefix="ovs-tritonclient-")
    prefix = "tritonclient-2.51.0.data/purelib/"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(folder, [n for n in z.namelist() if n.startswith(prefix)])
    sys.path.insert(0, os.path.join(folder, prefix))
    if tuple(int(p) for p in grpc.__version__.split(".")[:2]) < (1, 62):
        # tritonclient.grpc.aio's channel takes the same keyword.
        for channel in (grpc._channel.Channel, grpc_aio_channel.Channel):
            for name in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
                original = getattr(channel, name)

                @functools.wraps(original)
                def without_registration(self, *args, _original=original, _registered_method=None, **kwargs):
                    return _original(self, *args, **kwargs)

                setattr(channel, name, without_registration)
        # The stubs' gate imports this helper, which grpcio 1.51 lacks (and so refuses to load).
        if not hasattr(grpc._utilities, "first_version_is_lower"):
            grpc._utilities.first_version_is_lower = lambda version, generated: False
    import tritonclient.grpc  # noqa: F401  (fails here, not later, when something is missing)
