from polldetox.cli import main

main()
