// Placeholder: executor lands here (issue 4).
namespace supd {}
