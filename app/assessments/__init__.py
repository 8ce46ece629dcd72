"""Question banks, quizzes, attempts graded on the server, and practical checkpoints that gate progress."""
