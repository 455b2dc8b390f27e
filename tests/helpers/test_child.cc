// Placeholder; the real helper child lands with the process layer.
int main() { return 0; }
