"""Classification tasks with a known mutual information, for checking MI estimators."""

from skmi._conditional_tasks import CONDITIONAL_TASKS, make_conditional_task
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
    "CONDITIONAL_TASKS",
    "TASKS",
    "Truth",
    "gaussian_classes_truth",
    "list_tasks",
    "make_conditional_task",
    "make_gaussian_classes",
    "make_task",
    "task_truth",
]
