from rostra.cli.main import main

main()
