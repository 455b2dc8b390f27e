// Placeholder: protocol types land here (issue 5).
namespace supd::protocol {}
