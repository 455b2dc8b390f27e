// Placeholder: io lands here (issue 4).
namespace supd::io {}
