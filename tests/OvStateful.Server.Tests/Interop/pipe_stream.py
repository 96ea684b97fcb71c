# Triton's own gRPC client (tritonclient.grpc 2.51) drives the `pipe` ensemble (scale, then a
# stateful accumulate) over one ModelStreamInfer stream: sequences 5 and 6 interleaved
# (5 sends 1, 2, 3; 6 sends 10, 20), then one request without a sequence id. Prints one line
# per answer ("5 2", ..., "error <message>"), so the same run against real Triton and against
# OvStateful can be compared line by line.
# usage: pipe_stream.py TRITONCLIENT_WHEEL HOST:PORT
import queue, sys
from functools import partial

import tritonclient_loader

tritonclient_loader.load(sys.argv[1])
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

steps = [(5, 1, True, False), (6, 10, True, False), (5, 2, False, False), (6, 20, False, True), (5, 3, False, True), (0, 7, False, False)]
results = queue.Queue()
with grpcclient.InferenceServerClient(url=sys.argv[2]) as client:
    client.start_stream(callback=partial(lambda q, result, error: q.put(error or result), results))
    for i, (sequence, value, start, end) in enumerate(steps):
        data = np.full([1, 1], value, dtype=np.int32)
        inputs = [grpcclient.InferInput("IN", data.shape, "INT32")]
        inputs[0].set_data_from_numpy(data)
        client.async_stream_infer(model_name="pipe", inputs=inputs, request_id="{}_{}".format(sequence, i),
                                  sequence_id=sequence, sequence_start=start, sequence_end=end)
        item = results.get(timeout=30)
        if isinstance(item, InferenceServerException):
            print("error", item.message())
        else:
            print(sequence, int(item.as_numpy("OUT")[0][0]))
    client.stop_stream()
