// Extension requests (延期申请) on the matter page, merged into en.ts.
export default {
  extension: {
    request: "Request an extension", title: "Request an extension", deadline: "Deadline", currentDue: "Current due",
    requestedDue: "New due date", reason: "Reason", progress: "Progress so far", submit: "Submit request",
    noOpenDeadline: "Your unit has no open deadline on this matter", filed: "Extension requested; the office will decide",
    fixErrors: "Please fix the fields marked and submit again", pickDeadline: "Choose a deadline", pickDate: "Pick a date",
    reasonHint: "Why the deadline cannot be met", progressHint: "What is done and what comes next",
    approve: "Approve", reject: "Reject", decide: "Decide on the extension", comment: "Comment",
    commentHint: "Comment (optional)", approved: "Extension approved; the deadline moved", rejected: "Extension rejected",
    decidedBy: "Decided by", decisionComment: "Decision", requestedBy: "Requested by", original: "was {due}",
    mustBeAfter: "Must be after the current due date {due}", alreadyDue: "Due on {due}: too late to ask",
    empty: "No extension requests",
    errors: {
      deadline_passed: "The deadline has come: an extension must be requested before it",
      invalid_data: "Please fix the fields marked and submit again", invalid_request: "Please fix the fields marked and submit again",
      already_decided: "The request was already decided", forbidden: "You may not do this", not_found: "No such deadline of your unit on this matter",
    },
    status: { pending: "Pending", approved: "Approved", rejected: "Rejected" },
  },
};
