# An endless loop after q2's answer: q1 and q2 still count.
import time

while True:
    time.sleep(0.5)
