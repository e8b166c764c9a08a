"""Classification tasks with a known mutual information, for checking MI estimators."""

from skmi._tasks import (
    TASKS,
    Truth,
    gaussian_classes_truth,
    list_tasks,
    make_gaussian_classes,
    make_task,
    task_truth,
)

__all__ = [
    "TASKS",
    "Truth",
    "gaussian_classes_truth",
    "list_tasks",
    "make_gaussian_classes",
    "make_task",
    "task_truth",
]
