import GPTKit
Parallel.threadCount = 1
print("1 thread", PeakFlops.measure(threads: 1))
print("2 threads", PeakFlops.measure(threads: 2))
