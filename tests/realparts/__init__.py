"""Real programs for tests: start them on free loopback ports in temporary directories, stop them after.

Each helper skips the test with a clear reason when its program is not installed, and on a
failed start raises with the program's own log so the cause is visible in the test report.
"""
