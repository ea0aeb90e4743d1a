# The programs are PyTorch programs: the tests run them (rewritten for chainrule, and as
# they are under PyTorch), so pytest must not import them to look for doctests.
collect_ignore_glob = ["programs/*"]
