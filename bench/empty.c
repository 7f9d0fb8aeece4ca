/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-empty: a bare C program that returns from main at once. The
 * benchmark runs it to measure the cost of fork, exec and exit alone.
 */
int
main (void)
{
	return 0;
}
