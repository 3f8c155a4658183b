"""The trainee's phone wallet: one-time-code sign-in and the voucher pages."""
