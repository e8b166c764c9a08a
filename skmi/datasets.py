"""Classification tasks with a known mutual information, for checking MI estimators."""

from skmi._conditional_tasks import (
    CONDITIONAL_TASKS,
    SELECTION_TASKS,
    exact_recovery,
    make_conditional_task,
    make_selection_task,
)
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
    "SELECTION_TASKS",
    "TASKS",
    "Truth",
    "exact_recovery",
    "gaussian_classes_truth",
    "list_tasks",
    "make_conditional_task",
    "make_gaussian_classes",
    "make_selection_task",
    "make_task",
    "task_truth",
]
