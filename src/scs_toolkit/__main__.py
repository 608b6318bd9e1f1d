from scs_toolkit._entry import main

main()
