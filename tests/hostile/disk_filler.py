# Writes 1 GiB to /tmp in 32 MiB files: fails when /tmp is full; the answers count.
chunk = b"x" * 2**25
for k in range(32):
    with open(f"/tmp/fill{k}", "wb") as f:
        f.write(chunk)
