# Triton's stream sequence client, our way (the pattern of Triton's
# simple_grpc_sequence_stream_infer_client.py, written for OvStateful's tests): one
# ModelStreamInfer stream through Triton's own tritonclient.grpc, several sequences (uint64 and
# string ids) sent back to back without waiting, every result stored in arrival order per
# sequence and checked against the model's contract (simple_sequence: OUTPUT = INPUT + START).
# Arrival order is what such clients rely on: a response out of step order fails the run.
# usage: triton_stream_sequences.py TRITONCLIENT_WHEEL HOST:PORT ROUNDS SEQUENCES STEPS
import queue, sys, uuid
from functools import partial

import tritonclient_loader

tritonclient_loader.load(sys.argv[1])
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

url, rounds, sequences, steps = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def run(round_index):
    results = queue.Queue()
    # Half the sequences have uint64 ids, half string ids; values differ per sequence and step.
    ids = [1000 + round_index * sequences + i if i % 2 == 0 else str(uuid.uuid4()) for i in range(sequences)]
    values = {str(s): [(i + 1) * 100 + k * 7 - 3 * (k % 2) for k in range(steps)] for i, s in enumerate(ids)}
    with grpcclient.InferenceServerClient(url=url) as client:
        client.start_stream(callback=partial(lambda q, result, error: q.put(error or result), results))
        for k in range(steps):
            for s in ids:
                data = np.full([1, 1], values[str(s)][k], dtype=np.int32)
                inputs = [grpcclient.InferInput("INPUT", data.shape, "INT32")]
                inputs[0].set_data_from_numpy(data)
                client.async_stream_infer(model_name="simple_sequence", inputs=inputs,
                                          outputs=[grpcclient.InferRequestedOutput("OUTPUT")],
                                          request_id="{}_{}".format(s, k), sequence_id=s,
                                          sequence_start=(k == 0), sequence_end=(k == steps - 1))
        got = {str(s): [] for s in ids}
        for _ in range(sequences * steps):
            item = results.get(timeout=30)
            if isinstance(item, InferenceServerException):
                return "round {}: error {}".format(round_index, item)
            sequence = item.get_response().id.rsplit("_", 1)[0]
            got[sequence].append(int(item.as_numpy("OUTPUT")[0][0]))
        client.stop_stream()
    for s, outputs in got.items():
        expected = [v + (1 if k == 0 else 0) for k, v in enumerate(values[s])]
        if outputs != expected:
            return "round {}: sequence {} got {} expected {}".format(round_index, s, outputs, expected)
    return None


failures = [f for f in (run(r) for r in range(rounds)) if f]
for f in failures:
    print("FAIL", f)
print("{} of {} rounds passed".format(rounds - len(failures), rounds))
sys.exit(1 if failures else 0)
