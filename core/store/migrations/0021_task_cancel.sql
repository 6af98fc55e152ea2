-- Issue 18: a draft task can be cancelled (取消任务) with a reason; it then leaves every to-do list
-- and the default task list, and can no longer be edited, frozen or joined. (tasks.status keeps
-- its CHECK: a cancelled task stays 'draft' with cancelled_at set.)
ALTER TABLE tasks ADD COLUMN cancelled_at TEXT;
ALTER TABLE tasks ADD COLUMN cancelled_by TEXT;
ALTER TABLE tasks ADD COLUMN cancel_reason TEXT;
