package campaigns

// ReminderDue exposes reminderDue to the tests.
var ReminderDue = reminderDue
