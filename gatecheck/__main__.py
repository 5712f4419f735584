from gatecheck.cli.main import main

main()
