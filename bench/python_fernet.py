"""Python's reference Fernet on the same workload as the rest of `npm run bench`: best of N rounds, as JSON."""
import json
import os
import sys
import time

from cryptography.fernet import Fernet

chunk_size, total, rounds = (int(arg) for arg in sys.argv[1:4])
data = os.urandom(total)
chunks = [data[i : i + chunk_size] for i in range(0, total, chunk_size)]
fernet = Fernet(Fernet.generate_key())
best_encrypt = best_decrypt = float("inf")
for _ in range(rounds):
    start = time.perf_counter()
    tokens = [fernet.encrypt(chunk) for chunk in chunks]
    best_encrypt = min(best_encrypt, time.perf_counter() - start)
    start = time.perf_counter()
    plain = [fernet.decrypt(token) for token in tokens]
    best_decrypt = min(best_decrypt, time.perf_counter() - start)
    assert b"".join(plain) == data
print(json.dumps({"encrypt": best_encrypt, "decrypt": best_decrypt}))
